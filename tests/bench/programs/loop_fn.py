def count_up(n):
    i = 0
    s = 0
    while i < n:
        s = s + i % 7
        i = i + 1
    return s


print(count_up(1000000))
