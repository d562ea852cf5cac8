from ddguard.cli import console

console()
