#!/usr/bin/env python3
"""embed.py INPUT OUTPUT: write INPUT (docs/api/openapi.json) as a C array, after checking it is JSON."""
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
json.loads(data)  # a broken document fails the build, not a client
with open(dst, 'w') as f:
    f.write('/* Generated from docs/api/openapi.json by src/api/embed.py: do not edit. */\n')
    f.write('#include <stddef.h>\n#include "api/openapi_doc.h"\n')
    f.write('const char corral_openapi_json[] = {\n')
    for i in range(0, len(data), 16):
        f.write(''.join('%d,' % b for b in data[i:i + 16]) + '\n')
    f.write('0};\nconst size_t corral_openapi_json_len = %d;\n' % len(data))
