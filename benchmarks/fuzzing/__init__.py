"""The differential fuzzer behind `python -m benchmarks.fuzz` and tests/test_fuzz.py.

values      dtypes, limit values, random arrays and their exact source text
program     a program as data (ops, bodies), its source, its eager NumPy run
generate    drawing a program by running candidate statements with NumPy
families_*  the statements: elementwise, whole-array, control flow (table in families.py)
workers     child processes that compile and run, so crashes and hangs are results
compare     tolerances and how two results differ
allowlist   documented differences (README) and known wrong answers (issue 16)
evaluate    one program three ways, differences traced to the op where they start
shrink      smaller programs that fail the same way
runner      the loop, the tallies and the reproducers
"""
