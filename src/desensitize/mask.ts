// Masked-by-default display of personal values (de-identification for display in the spirit of
// GB/T 35273 "Information security technology — Personal information security specification").
//
// Screens, exports and logs show a masked value unless a user has a reason and the right to see
// the clear one; the mask keeps just enough to recognise the record ("the 138 number ending 1234")
// without disclosing the value. Rules, applied after trimming surrounding whitespace:
//
// | kind           | rule                                                   | example                                   |
// |----------------|--------------------------------------------------------|-------------------------------------------|
// | phone          | national number ≥ 11 digits: first 3 + **** + last 4;  | 13812341234 → 138****1234                 |
// |                | shorter: **** + last 2 (≤ 2 digits: ****); a +CC or    | +86 138 1234 1234 → +86 138****1234       |
// |                | 00CC prefix is kept as "+CC "                          | +1 415 555 2671 → +1 ****71               |
// | email          | first char of local part + *** + @domain               | zhang.san@example.com → z***@example.com  |
// |                | (no local part or no @: as text)                       |                                           |
// | name           | contains Han: surname char + one * per remaining char; | 张三丰 → 张**                               |
// |                | otherwise first letter of each word + ***              | Ada Lovelace → A*** L***                  |
// | cn_resident_id | 18 chars: first 6 + ******** + last 4;                 | 11010519491231002X → 110105********002X   |
// |                | other lengths: as id_number                            |                                           |
// | id_number      | ≥ 8 chars: first 2 + **** + last 2; 4-7 chars:         | E12345678 → E1****78                      |
// | (passports)    | **** + last 1; shorter: ****                           |                                           |
// | bank_card      | ≥ 8 digits: **** **** **** + last 4; otherwise ****    | 6222 0200 1234 5678 → **** **** **** 5678 |
// | address        | first min(6, ⌊length/2⌋) chars + ***                   | 北京市朝阳区建国路88号 → 北京市朝阳区***       |
// | ip             | IPv4: first two octets + .*.*; IPv6: first 3 groups +  | 192.168.1.20 → 192.168.*.*                |
// |                | :*:*:*:*:* (IPv4-mapped: ::ffff: + masked IPv4);       | 2001:db8:85a3::7334 → 2001:db8:85a3:*:*:*:*:* |
// |                | not an address: as text                                |                                           |
// | date           | year only: YYYY-**-**; no recognisable year: ****-**-**| 1990-05-17 → 1990-**-**                   |
// | text (default) | first char + *** (a single char: *)                    | secret → s***                             |
//
// For email, text, address, id_number and bank_card the number of stars is fixed so the mask does
// not disclose the value's length; for phone and resident ID numbers the fixed positions are the
// established convention and the length is public knowledge anyway. Characters are counted as
// Unicode code points, so a surrogate pair is never split. An empty (or all-whitespace) value
// masks to ''. maskValue never throws.
import { isIPv4, isIPv6 } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** The kinds of personal value that have a display mask. Passport numbers use 'id_number'. */
export type MaskKind =
  | 'email'
  | 'phone'
  | 'name'
  | 'cn_resident_id'
  | 'id_number'
  | 'address'
  | 'bank_card'
  | 'ip'
  | 'text'
  | 'date';

const STARS = '***';

/** Masked form of `value` for display, following the rule for `kind` in the table above. */
export function maskValue(kind: MaskKind, value: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) return '';
  switch (kind) {
    case 'phone':
      return maskPhone(trimmed);
    case 'email':
      return maskEmail(trimmed);
    case 'name':
      return maskName(trimmed);
    case 'cn_resident_id':
      return maskResidentId(trimmed);
    case 'id_number':
      return maskIdNumber(trimmed);
    case 'bank_card':
      return maskBankCard(trimmed);
    case 'address':
      return maskAddress(trimmed);
    case 'ip':
      return maskIp(trimmed);
    case 'date':
      return maskDate(trimmed);
    case 'text':
      return maskText(trimmed);
    default:
      // Unreachable for typed callers; an unknown kind from untyped input gets the safest mask.
      return maskText(trimmed);
  }
}

function maskText(value: string): string {
  const chars = Array.from(value);
  if (chars.length === 0) return '';
  return chars.length > 1 ? `${chars[0] ?? ''}${STARS}` : '*';
}

function maskNationalDigits(digits: string): string {
  // 3 + 4 visible digits only when at least 4 stay hidden; otherwise the area code and the
  // subscriber digits together would reveal most of the number.
  if (digits.length >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (digits.length >= 3) return `****${digits.slice(-2)}`;
  return '****';
}

function maskPhone(value: string): string {
  const normalized = value.normalize('NFKC');
  if (/^(?:\+|00)/.test(normalized)) {
    const parsed = parsePhoneNumberFromString(normalized.replace(/^00/, '+'));
    if (parsed !== undefined) {
      return `+${parsed.countryCallingCode} ${maskNationalDigits(parsed.nationalNumber)}`;
    }
  }
  return maskNationalDigits(normalized.replace(/\D/g, ''));
}

function maskEmail(value: string): string {
  // The last "@" separates the domain: a quoted local part may itself contain "@".
  const at = value.lastIndexOf('@');
  if (at <= 0) return maskText(value);
  const first = Array.from(value.slice(0, at))[0] ?? '';
  return `${first}${STARS}@${value.slice(at + 1)}`;
}

function maskName(value: string): string {
  if (/\p{Script=Han}/u.test(value)) {
    // Chinese names are short and the surname is shared by millions; the star count follows the
    // common convention (张三丰 → 张**).
    const chars = Array.from(value.replace(/\s+/g, ''));
    if (chars.length <= 1) return '*';
    return `${chars[0] ?? ''}${'*'.repeat(chars.length - 1)}`;
  }
  return value
    .split(/\s+/)
    .map((word) => `${Array.from(word)[0] ?? ''}${STARS}`)
    .join(' ');
}

function maskResidentId(value: string): string {
  const chars = Array.from(value.replace(/\s+/g, ''));
  if (chars.length !== 18) return maskIdNumber(value);
  return `${chars.slice(0, 6).join('')}********${chars.slice(-4).join('')}`;
}

function maskIdNumber(value: string): string {
  const chars = Array.from(value.replace(/\s+/g, ''));
  if (chars.length >= 8) return `${chars.slice(0, 2).join('')}****${chars.slice(-2).join('')}`;
  if (chars.length >= 4) return `****${chars.slice(-1).join('')}`;
  return '****';
}

function maskBankCard(value: string): string {
  const digits = value.normalize('NFKC').replace(/\D/g, '');
  return digits.length >= 8 ? `**** **** **** ${digits.slice(-4)}` : '****';
}

function maskAddress(value: string): string {
  // Chinese addresses run from province to door, so the head is the coarse part. Short values
  // keep at most half their characters so the mask never shows the whole address.
  const chars = Array.from(value);
  const keep = Math.min(6, Math.floor(chars.length / 2));
  return `${chars.slice(0, keep).join('')}${STARS}`;
}

function maskIpv4(address: string): string {
  const [a, b] = address.split('.');
  return `${a ?? '*'}.${b ?? '*'}.*.*`;
}

function maskIp(value: string): string {
  if (isIPv4(value)) return maskIpv4(value);
  // Accept the bracketed URL form and drop a zone index ("fe80::1%eth0").
  const bare = (/^\[(.*)\]$/.exec(value)?.[1] ?? value).split('%')[0] ?? '';
  if (!isIPv6(bare)) return maskText(value);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined) return `::ffff:${maskIpv4(mapped[1])}`;
  return `${expandIpv6(bare).slice(0, 3).join(':')}:*:*:*:*:*`;
}

/** The eight groups of a valid IPv6 address, "::" expanded to zero groups. */
function expandIpv6(address: string): string[] {
  // A trailing dotted IPv4 part occupies two groups; its digits are masked anyway.
  const withoutDotted = address.includes('.') ? address.replace(/[^:]*$/, '0:0') : address;
  const [head = '', tail] = withoutDotted.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  if (tail === undefined) return headGroups;
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0');
  return [...headGroups, ...zeros, ...tailGroups];
}

function maskDate(value: string): string {
  const normalized = value.normalize('NFKC');
  const year =
    // 1990-05-17, 1990/5/17, 1990.05, 1990年5月17日, ISO date-times
    /^(\d{4})\s*[-/.年]\s*\d{1,2}(?!\d)/.exec(normalized)?.[1] ??
    // 17/05/1990, 05-17-1990
    /^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(\d{4})(?!\d)/.exec(normalized)?.[1] ??
    // 19900517
    /^(\d{4})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$/.exec(normalized)?.[1];
  return `${year ?? '****'}-**-**`;
}
