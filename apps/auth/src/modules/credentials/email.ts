// One spelling per address: trimmed, Unicode NFC, lower-case. Lower-casing the local part
// is not RFC 5321-pure, but no real provider distinguishes case, and treating Alice@ and
// alice@ as two accounts invites takeover-by-lookalike.
export const normalizeEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();
