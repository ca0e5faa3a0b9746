def inc1(x):
    return x + 1


s = 0
i = 0
while i < 20:
    s = inc1(s)
    i = i + 1
print(s)
