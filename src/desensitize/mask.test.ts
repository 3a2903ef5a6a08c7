import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskValue, type MaskKind } from './mask.js';

const ALL_KINDS: MaskKind[] = [
  'email',
  'phone',
  'name',
  'cn_resident_id',
  'id_number',
  'address',
  'bank_card',
  'ip',
  'text',
  'date',
];

// Any string, including astral code points and lone surrogates.
const anyString = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.emailAddress(),
  fc.ipV4(),
  fc.ipV6(),
  fc.stringMatching(/^\+?[0-9 ()-]{4,20}$/),
);

describe('maskValue: phone', () => {
  it.each([
    ['13812341234', '138****1234'],
    ['138 1234 1234', '138****1234'],
    ['+86 138 1234 1234', '+86 138****1234'],
    ['+8613812341234', '+86 138****1234'],
    ['0086 138-1234-1234', '+86 138****1234'],
    ['１３８１２３４１２３４', '138****1234'],
    ['010-12345678', '010****5678'],
    ['+1 415 555 2671', '+1 ****71'],
    ['12345', '****45'],
    ['110', '****10'],
    ['12', '****'],
    ['no digits', '****'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('phone', input)).toBe(expected);
  });

  it('keeps exactly the first 3 and last 4 digits of any 11-digit national number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), (digits) => {
        // A leading 00 is the international prefix (covered by the 0086 example above).
        fc.pre(!digits.startsWith('00'));
        expect(maskValue('phone', digits)).toBe(`${digits.slice(0, 3)}****${digits.slice(7)}`);
      }),
    );
  });
});

describe('maskValue: email', () => {
  it.each([
    ['zhang.san@example.com', 'z***@example.com'],
    ['a@example.com', 'a***@example.com'],
    ['  Zhang@Example.com ', 'Z***@Example.com'],
    ['用户@例子.中国', '用***@例子.中国'],
    ['"a@b"@example.com', '"***@example.com'],
    ['no-at-sign', 'n***'],
    ['@example.com', '@***'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('email', input)).toBe(expected);
  });

  it('shows one local-part character and hides the local part length', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const at = email.lastIndexOf('@');
        expect(maskValue('email', email)).toBe(`${email.charAt(0)}***${email.slice(at)}`);
      }),
    );
  });
});

describe('maskValue: name', () => {
  it.each([
    ['张三丰', '张**'],
    ['张三', '张*'],
    ['欧阳 修', '欧**'],
    ['张', '*'],
    ['Ada Lovelace', 'A*** L***'],
    ['  Grace   Brewster Hopper ', 'G*** B*** H***'],
    ['Madonna', 'M***'],
    ['Łukasz', 'Ł***'],
    ['𝒜da Lovelace', '𝒜*** L***'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('name', input)).toBe(expected);
  });
});

describe('maskValue: identity documents and cards', () => {
  it.each<[MaskKind, string, string]>([
    ['cn_resident_id', '11010519491231002X', '110105********002X'],
    ['cn_resident_id', '110105 19491231 002x', '110105********002x'],
    ['cn_resident_id', '110105491231002', '11****02'],
    ['id_number', 'E12345678', 'E1****78'],
    ['id_number', 'G1234567890123', 'G1****23'],
    ['id_number', 'AB123', '****3'],
    ['id_number', 'AB1', '****'],
    ['bank_card', '6222 0200 1234 5678', '**** **** **** 5678'],
    ['bank_card', '6222020012345678901', '**** **** **** 8901'],
    ['bank_card', '1234567', '****'],
  ])('%s %j → %j', (kind, input, expected) => {
    expect(maskValue(kind, input)).toBe(expected);
  });

  it('gives id numbers and bank cards of different lengths masks of the same length', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{8,40}$/), (id) => {
        expect(maskValue('id_number', id)).toHaveLength(8);
        expect(maskValue('bank_card', id.replace(/\D/g, '') + '12345678')).toHaveLength(19);
      }),
    );
  });
});

describe('maskValue: address', () => {
  it.each([
    ['北京市朝阳区建国路88号院3号楼2单元101', '北京市朝阳区***'],
    ['北京市朝阳区建国路88号', '北京市朝阳区***'],
    ['北京市朝阳区', '北京市***'],
    ['上海', '上***'],
    ['x', '***'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('address', input)).toBe(expected);
  });

  it('never keeps more than 6 characters nor more than half of the address', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), (address) => {
        fc.pre(address.trim().length > 0);
        const kept = Array.from(maskValue('address', address)).length - 3;
        expect(kept).toBeLessThanOrEqual(Math.min(6, Array.from(address.trim()).length / 2));
      }),
    );
  });
});

describe('maskValue: ip', () => {
  it.each([
    ['192.168.1.20', '192.168.*.*'],
    ['10.0.0.1', '10.0.*.*'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3:*:*:*:*:*'],
    ['2001:db8::1', '2001:db8:0:*:*:*:*:*'],
    ['::1', '0:0:0:*:*:*:*:*'],
    ['fe80::1%eth0', 'fe80:0:0:*:*:*:*:*'],
    ['[2001:db8:1:2::1]', '2001:db8:1:*:*:*:*:*'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:*:*:*:*:*'],
    ['::ffff:192.168.1.20', '::ffff:192.168.*.*'],
    ['not an ip', 'n***'],
    ['192.168.1.256', '1***'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('ip', input)).toBe(expected);
  });

  it('keeps the first two octets of any IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b] = ip.split('.');
        expect(maskValue('ip', ip)).toBe(`${a}.${b}.*.*`);
      }),
    );
  });

  it('masks every IPv6 address to three groups and five stars', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const masked = maskValue('ip', ip);
        if (/^::ffff:\d/i.test(ip)) {
          expect(masked).toMatch(/^::ffff:\d+\.\d+\.\*\.\*$/i);
        } else {
          expect(masked).toMatch(/^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){2}(?::\*){5}$/i);
        }
      }),
    );
  });
});

describe('maskValue: date', () => {
  it.each([
    ['1990-05-17', '1990-**-**'],
    ['1990/5/7', '1990-**-**'],
    ['1990-05-17T08:30:00Z', '1990-**-**'],
    ['1990年5月17日', '1990-**-**'],
    ['17/05/1990', '1990-**-**'],
    ['19900517', '1990-**-**'],
    ['1990', '****-**-**'],
    ['May 17', '****-**-**'],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('date', input)).toBe(expected);
  });
});

describe('maskValue: text', () => {
  it.each([
    ['secret', 's***'],
    ['ab', 'a***'],
    ['a', '*'],
    ['😀x', '😀***'],
    ['', ''],
    ['   ', ''],
  ])('%j → %j', (input, expected) => {
    expect(maskValue('text', input)).toBe(expected);
  });

  it('hides the length of text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 2 }), (text) => {
        fc.pre(Array.from(text.trim()).length > 1);
        expect(Array.from(maskValue('text', text))).toHaveLength(4);
      }),
    );
  });
});

describe('maskValue: every kind', () => {
  it('masks an empty value to the empty string', () => {
    for (const kind of ALL_KINDS) expect(maskValue(kind, '')).toBe('');
  });

  it('never throws and never shows the whole input of 4 or more characters', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_KINDS), anyString, (kind, value) => {
        const masked = maskValue(kind, value);
        // A value that already contains the mask character can reappear in its own mask
        // ("a***" masks to "a***"); that discloses nothing.
        if (value.length >= 4 && !value.includes('*')) expect(masked).not.toContain(value);
      }),
      { numRuns: 3000 },
    );
  });
});
