def make_counter():
    n = 0

    def counter():
        nonlocal n
        n = n + 1
        return n
    return counter


counter = make_counter()
i = 0
while i < 1000000:
    counter()
    i = i + 1
print(counter())
