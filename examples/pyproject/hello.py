print("hello from", __file__)
