#!/usr/bin/env python3
"""Every relative link in the given Markdown files resolves: the file exists (from the linking
page's folder) and a #anchor names a heading there, by GitHub's rules (lowercase, punctuation
removed, spaces to '-', a repeated heading gets -1, -2, ...). Prints each link checked with -v."""
import os
import re
import sys

def slugs(path):
    found, seen, fence = set(), {}, False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
            continue
        m = None if fence else re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', m.group(2))  # a link's text only
        slug = re.sub(r'[^\w\- ]', '', text.lower()).replace(' ', '-')
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f'{slug}-{n}')
    return found

def links(path):
    fence = False
    for number, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
            continue
        if fence:
            continue
        line = re.sub(r'`[^`]*`', lambda m: 'x' * len(m.group(0)) if '](' not in m.group(0) else m.group(0), line)
        for m in re.finditer(r'\]\(([^)\s]+)\)', line):
            yield number, m.group(1)

verbose = '-v' in sys.argv
bad = 0
for page in [a for a in sys.argv[1:] if a != '-v']:
    for number, target in links(page):
        if re.match(r'^[a-z]+:', target):
            continue
        file, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(page), file)) if file else page
        problem = None
        if not os.path.exists(dest):
            problem = f'no file {dest}'
        elif anchor and not dest.endswith('.md'):
            problem = f'anchor in a non-Markdown file {dest}'
        elif anchor and anchor not in slugs(dest):
            problem = f'no heading #{anchor} in {dest}'
        if problem:
            bad += 1
            print(f'{page}:{number}: {target}: {problem}')
        elif verbose:
            print(f'{page}:{number}: {target}: ok')
print(f'{bad} broken link(s)')
sys.exit(1 if bad else 0)
