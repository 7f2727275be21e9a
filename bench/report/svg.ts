/** A small line-chart renderer that writes standalone SVG, with no dependencies. */

import type { ChartSpec } from '../lib/results';

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 80 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Returns a round step so that `span` divides into about `count` ticks. */
function niceStep(span: number, count: number): number {
	const raw = span / Math.max(1, count);
	const power = 10 ** Math.floor(Math.log10(raw));
	const scaled = raw / power;
	for (const factor of [1, 2, 5]) {
		if (scaled <= factor) {
			return factor * power;
		}
	}
	return 10 * power;
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatTick(value: number): string {
	if (Math.abs(value) >= 1000) {
		return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
	}
	return String(Math.round(value * 100) / 100);
}

/** Renders `chart` as an SVG document. */
export function renderLineChart(chart: ChartSpec): string {
	const points = chart.series.flatMap((series) => series.points);
	const references = chart.references ?? [];
	const maxX = Math.max(1e-9, ...points.map(([x]) => x));
	const maxY = Math.max(1e-9, ...points.map(([, y]) => y), ...references.map((r) => r.y)) * 1.1;
	const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
	const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
	const toX = (x: number) => MARGIN.left + (x / maxX) * plotWidth;
	const toY = (y: number) => MARGIN.top + plotHeight - (y / maxY) * plotHeight;
	const parts: string[] = [];

	parts.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
			`viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
		`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
		`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(chart.title)}</text>`,
	);

	const yStep = niceStep(maxY, 5);
	for (let y = 0; y <= maxY; y += yStep) {
		parts.push(
			`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${toY(y)}" y2="${toY(y)}" stroke="#e0e0e0"/>`,
			`<text x="${MARGIN.left - 6}" y="${toY(y) + 4}" text-anchor="end">${formatTick(y)}</text>`,
		);
	}
	const xStep = niceStep(maxX, 8);
	for (let x = 0; x <= maxX + 1e-9; x += xStep) {
		parts.push(
			`<text x="${toX(x)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(x)}</text>`,
		);
	}
	parts.push(
		`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="black"/>`,
		`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotHeight}" ` +
			`y2="${MARGIN.top + plotHeight}" stroke="black"/>`,
		`<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 34}" text-anchor="middle">` +
			`${escapeXml(chart.xLabel)}</text>`,
		`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">` +
			`${escapeXml(chart.yLabel)}</text>`,
	);

	for (const reference of references) {
		parts.push(
			`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${toY(reference.y)}" ` +
				`y2="${toY(reference.y)}" stroke="#555" stroke-dasharray="6 4"/>`,
			`<text x="${WIDTH - MARGIN.right - 4}" y="${toY(reference.y) - 5}" text-anchor="end" fill="#555">` +
				`${escapeXml(reference.name)}</text>`,
		);
	}

	chart.series.forEach((series, index) => {
		const color = COLORS[index % COLORS.length];
		const path = series.points
			.map(([x, y]) => `${toX(x).toFixed(1)},${toY(y).toFixed(1)}`)
			.join(' ');
		parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
		const legendX = MARGIN.left + (index % 3) * 220;
		const legendY = HEIGHT - 22 + Math.floor(index / 3) * 16 - (chart.series.length > 3 ? 10 : 0);
		parts.push(
			`<line x1="${legendX}" x2="${legendX + 20}" y1="${legendY - 4}" y2="${legendY - 4}" ` +
				`stroke="${color}" stroke-width="2"/>`,
			`<text x="${legendX + 26}" y="${legendY}">${escapeXml(series.name)}</text>`,
		);
	});

	parts.push('</svg>');
	return `${parts.join('\n')}\n`;
}
