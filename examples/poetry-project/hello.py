import sys

print("running in", sys.prefix)
