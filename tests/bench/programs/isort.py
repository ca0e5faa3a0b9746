def fill(n):
    a = []
    seed = 12345
    i = 0
    while i < n:
        seed = (seed * 1103515245 + 12345) % 2147483648
        a.append(seed % 100000)
        i = i + 1
    return a


def isort(a):
    n = len(a)
    i = 1
    while i < n:
        key = a[i]
        j = i - 1
        while j >= 0 and a[j] > key:
            a[j + 1] = a[j]
            j = j - 1
        a[j + 1] = key
        i = i + 1
    return a


s = isort(fill(3000))
check = 0
k = 0
while k < len(s):
    check = (check * 31 + s[k]) % 1000000007
    k = k + 1
print(s[0], s[len(s) - 1], check, sep=" ")
