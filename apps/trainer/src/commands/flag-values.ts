/** An optional numeric flag: absent stays undefined (the library's default applies), else Number(text). */
export const optionalNumber = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
