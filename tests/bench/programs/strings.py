parts = []
i = 0
while i < 200000:
    parts.append(str(i))
    i = i + 1
s = ",".join(parts)
print(len(s))
