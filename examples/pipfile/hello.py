import six

print("six", six.__version__, "from", six.__file__)
