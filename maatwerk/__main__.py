"""`python -m maatwerk`: the same as the `maatwerk` script."""

from maatwerk import main

if __name__ == "__main__":
    main()
