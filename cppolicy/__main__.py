from cppolicy.cli import main

main()
