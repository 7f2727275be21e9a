/**
 * A small CSV reader for the demo's campaign file: comma-separated fields,
 * double quotes around fields that contain commas or quotes, `""` for a quote.
 */

/** Parses CSV text into rows of named fields, using the first line as the header. */
export function parseCsv(text: string): Array<Record<string, string>> {
	const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
	const [header, ...rows] = lines.map(parseLine);
	return rows.map((fields) => Object.fromEntries(header.map((name, i) => [name, fields[i] ?? ''])));
}

function parseLine(line: string): string[] {
	const fields: string[] = [];
	let field = '';
	let quoted = false;
	for (let i = 0; i < line.length; i++) {
		const char = line[i];
		if (quoted) {
			if (char === '"' && line[i + 1] === '"') {
				field += '"';
				i++;
			} else if (char === '"') {
				quoted = false;
			} else {
				field += char;
			}
		} else if (char === '"') {
			quoted = true;
		} else if (char === ',') {
			fields.push(field);
			field = '';
		} else {
			field += char;
		}
	}
	fields.push(field);
	return fields;
}
