import functools
import operator

print(functools.reduce(operator.add, list(range(1000000)), 0))
