def mandel(size, iters):
    inside = 0
    y = 0
    while y < size:
        ci = (2.0 * y) / size - 1.0
        x = 0
        while x < size:
            cr = (3.0 * x) / size - 2.0
            zr = 0.0
            zi = 0.0
            i = 0
            while i < iters and zr * zr + zi * zi <= 4.0:
                t = (zr * zr - zi * zi) + cr
                zi = 2.0 * (zr * zi) + ci
                zr = t
                i = i + 1
            if i == iters:
                inside = inside + 1
            x = x + 1
        y = y + 1
    return inside


print(mandel(200, 50))
