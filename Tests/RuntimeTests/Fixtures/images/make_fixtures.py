"""Makes the image fixtures and prints the expected values the Swift tests hold.

Run with Pillow, NumPy, pypng and opencv-python-headless installed:
    python3 make_fixtures.py /work/shared/data/images
Expected values come from Pillow (decoding; CMYK from OpenCV, whose conversion Caffe uses) and
OpenCV (resizing, grey conversion), which are independent of Crema's decoder and resizer.
"""
import sys, os
import numpy as np
from PIL import Image
import png
import cv2

photos = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
chelsea = np.array(Image.open(os.path.join(photos, 'chelsea.png')).convert('RGB'))
small = np.array(Image.fromarray(chelsea).resize((96, 64), Image.BILINEAR))


def out(name):
    return os.path.join(here, name)


def fnv(a):
    h = 0xcbf29ce484222325
    for b in a.astype(np.uint8).tobytes():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


# --- JPEG variants
Image.fromarray(small).save(out('progressive.jpg'), quality=90, progressive=True)
Image.fromarray(small).convert('L').save(out('grey.jpg'), quality=90)
rgb = small.astype(np.int32)
k = 255 - rgb.max(axis=2)
cmy = np.where(k[..., None] < 255, (255 - rgb - k[..., None]) * 255 // np.maximum(255 - k[..., None], 1), 0)
cmyk = np.concatenate([cmy, k[..., None]], axis=2).astype(np.uint8)
Image.fromarray(cmyk, 'CMYK').save(out('cmyk.jpg'), quality=90)
# The same without its Adobe (APP14) segment: readers then take the samples as plain CMYK.
data = open(out('cmyk.jpg'), 'rb').read()
at = data.index(b'\xff\xee')
length = int.from_bytes(data[at + 2:at + 4], 'big')
open(out('cmyk-plain.jpg'), 'wb').write(data[:at] + data[at + 2 + length:])

# --- PNG variants
Image.fromarray(small).quantize(64).save(out('palette.png'))
Image.fromarray(small).quantize(16).save(out('palette4.png'), bits=4)
Image.fromarray(small).convert('L').convert('1').save(out('grey1.png'))
grey16 = (small[..., 1].astype(np.uint16) * 257 + np.arange(96, dtype=np.uint16)[None, :]).astype(np.uint16)
png.from_array(grey16, 'L;16').save(out('grey16.png'))
rgb16 = small.astype(np.uint16) * 256 + (np.arange(64 * 96 * 3) % 256).reshape(64, 96, 3).astype(np.uint16)
cv2.imwrite(out('rgb16.png'), rgb16[..., ::-1])
alpha = (np.arange(96)[None, :] * 2 + np.arange(64)[:, None]).astype(np.uint8)
Image.fromarray(np.dstack([small, alpha]), 'RGBA').save(out('rgba.png'))
Image.fromarray(np.dstack([small[..., 0], alpha]), 'LA').save(out('greyalpha.png'))
png.from_array(small.reshape(64, 96 * 3), 'RGB', info={'interlace': True}).save(out('interlaced.png'))


def expected(name, pixels):
    h, w = pixels.shape[:2]
    c = 1 if pixels.ndim == 2 else pixels.shape[2]
    p = pixels.reshape(h, w, c)
    means = ', '.join('%.4f' % p[..., i].mean() for i in range(c))
    samples = []
    for (x, y) in [(0, 0), (w - 1, 0), (w // 2, h // 2), (w // 3, 2 * h // 3), (w - 1, h - 1)]:
        samples.append('(%d, %d, [%s])' % (x, y, ', '.join(str(v) for v in p[y, x])))
    print('        ("%s", %d, %d, %d, [%s], 0x%016x,\n         [%s]),' % (name, w, h, c, means, fnv(p), ', '.join(samples)))


print('// decoded')
for name in ['progressive.jpg', 'grey.jpg', 'cmyk.jpg', 'cmyk-plain.jpg', 'palette.png', 'palette4.png', 'grey1.png',
             'rgba.png', 'greyalpha.png', 'interlaced.png']:
    im = Image.open(out(name))
    if im.mode == 'CMYK':
        p = cv2.imread(out(name))[..., ::-1]
    elif im.mode in ('L', 'LA', '1'):
        p = np.array(im.convert('L')) if im.mode != 'LA' else np.array(im)[..., 0]
    else:
        p = np.array(im.convert('RGB'))
    expected(name, p)
g16 = png.Reader(filename=out('grey16.png')).asDirect()
expected('grey16.png', (np.vstack([np.array(r, dtype=np.uint16) for r in g16[2]]) >> 8).astype(np.uint8))
r16 = cv2.imread(out('rgb16.png'), cv2.IMREAD_UNCHANGED)[..., ::-1]
expected('rgb16.png', (r16 >> 8).astype(np.uint8))
for name in ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg']:
    expected(name, np.array(Image.open(os.path.join(photos, name)).convert('RGB')))

# --- resizing and grey conversion with OpenCV
def save(name, a):
    open(out(name), 'wb').write(a.astype(np.uint8).tobytes())

save('chelsea_linear_37x23.rgb', cv2.resize(chelsea, (37, 23), interpolation=cv2.INTER_LINEAR))
save('chelsea_linear_up_60x45.rgb', cv2.resize(np.ascontiguousarray(chelsea[100:120, 200:225]), (60, 45), interpolation=cv2.INTER_LINEAR))
save('chelsea_area_64x43.rgb', cv2.resize(chelsea, (64, 43), interpolation=cv2.INTER_AREA))
save('chelsea_area_50x37.rgb', cv2.resize(np.ascontiguousarray(chelsea[:148, :200]), (50, 37), interpolation=cv2.INTER_AREA))
print('// grey chelsea (cv2.cvtColor RGB2GRAY) fnv 0x%016x' % fnv(cv2.cvtColor(chelsea, cv2.COLOR_RGB2GRAY)))
print('// linear 256x256 of rocket.jpg fnv 0x%016x' % fnv(cv2.resize(np.array(Image.open(os.path.join(photos, 'rocket.jpg')).convert('RGB')), (256, 256), interpolation=cv2.INTER_LINEAR)))
