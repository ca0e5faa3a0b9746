def work(n):
    i = 0
    s = 0
    while i < n:
        s = s + i
        i = i + 1
    return s


total = 0
k = 0
while k < 20:
    total = total + work(1000)
    k = k + 1
print(total)
