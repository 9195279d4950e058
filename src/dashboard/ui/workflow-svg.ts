/// <reference lib="dom" />
/** A workflow graph (src/dashboard/workflow-graph.ts) drawn as SVG: one column per depth, each node a box coloured by its state. */
import { html } from 'htm/preact';

/** A node as the API sends it. */
export interface GraphNode {
  readonly id: string;
  readonly kind: 'task' | 'group';
  readonly name: string | null;
  readonly state: string;
  readonly depth: number;
}

/** A graph as the API sends it. */
export interface Graph {
  readonly rootId: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  readonly truncated: boolean;
}

const W = 190;
const H = 46;
const GAP_X = 60;
const GAP_Y = 16;

/** The graph, with `current` outlined. Each node links to its task page. */
export function WorkflowSvg({ graph, current }: { graph: Graph; current: string }) {
  const columns = new Map<number, GraphNode[]>();
  for (const node of graph.nodes) columns.set(node.depth, [...(columns.get(node.depth) ?? []), node]);
  const at = new Map<string, { x: number; y: number }>();
  for (const [depth, nodes] of columns) {
    nodes.forEach((node, row) => {
      at.set(node.id, { x: 10 + depth * (W + GAP_X), y: 10 + row * (H + GAP_Y) });
    });
  }
  const width = 20 + Math.max(1, columns.size) * (W + GAP_X);
  const height = 20 + Math.max(1, ...[...columns.values()].map((c) => c.length)) * (H + GAP_Y);
  return html`<svg class="graph" width=${width} height=${height} role="img" aria-label="workflow graph">
    ${graph.edges.map((edge) => {
      const a = at.get(edge.from);
      const b = at.get(edge.to);
      if (!a || !b) return null;
      return html`<line x1=${a.x + W} y1=${a.y + H / 2} x2=${b.x} y2=${b.y + H / 2} class="edge" />`;
    })}
    ${graph.nodes.map((node) => {
      const p = at.get(node.id);
      if (!p) return null;
      const label = node.kind === 'group' ? 'group' : (node.name ?? 'task');
      const body = html`<rect x=${p.x} y=${p.y} width=${W} height=${H} rx="6"
          class=${`node state-${node.state.toLowerCase()}${node.id === current ? ' current' : ''}`} />
        <text x=${p.x + 8} y=${p.y + 18} class="label">${label.slice(0, 26)}</text>
        <text x=${p.x + 8} y=${p.y + 36} class="sub">${node.state} · ${node.id.slice(0, 8)}</text>`;
      return html`<g data-node=${node.id} data-state=${node.state}>
        ${node.kind === 'task' ? html`<a href=${`#/task/${encodeURIComponent(node.id)}`}>${body}</a>` : body}
      </g>`;
    })}
  </svg>
  ${graph.truncated ? html`<p class="hint">Only the first ${graph.nodes.length} nodes are drawn.</p>` : null}`;
}
