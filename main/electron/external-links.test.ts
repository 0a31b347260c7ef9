// Only https links leave the app, after parsing, and without credentials that disguise the host.
import { describe, expect, it } from 'vitest';
import { externalUrlToOpen } from './external-links.js';

describe('externalUrlToOpen', () => {
  it('opens https links, normalised', () => {
    expect(externalUrlToOpen('https://docs.example.com/reef?x=1#y')).toBe('https://docs.example.com/reef?x=1#y');
    expect(externalUrlToOpen('HTTPS://Example.COM')).toBe('https://example.com/');
  });

  it.each([
    'http://example.com/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>1</script>',
    'smb://host/share',
    'ms-msdt:/id',
    'app://reef/index.html',
    'https://user:pass@evil.example/',
    'https://bank.example@evil.example/',
    '//example.com/',
    'not a url',
    '',
  ])('refuses %s', (url) => {
    expect(externalUrlToOpen(url)).toBeUndefined();
  });

  it('refuses values that are not strings', () => {
    expect(externalUrlToOpen(undefined)).toBeUndefined();
    expect(externalUrlToOpen({ href: 'https://example.com' })).toBeUndefined();
    expect(externalUrlToOpen(`https://example.com/${'a'.repeat(9000)}`)).toBeUndefined();
  });
});
