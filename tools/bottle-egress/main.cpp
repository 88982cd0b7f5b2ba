// bottle-egress: the per-bottle egress proxy (see docs/bottle-egress.md).
int main() { return 2; }
