/**
 * A task's workflow as a graph: from the task up its `parent_id`s to the root, then down every stored
 * `children` list (Celery's result tuples: `[[id, parent], null]` for a task, `[[group id, parent], [members]]`
 * for a group), and the members of the task's own group. Chains are parent → child edges, a group is a node whose
 * members hang off it (when the group was saved: `GroupResult.save()`, a chord header on DynamoDB), and a
 * chord's body is the child of the header member that completed it.
 */
import type { ResultMeta } from '../protocol/result-meta.js';

/** One node: a task with its state, or a group. */
export interface GraphNode {
  readonly id: string;
  readonly kind: 'task' | 'group';
  readonly name: string | null;
  /** The task's state (PENDING when nothing is stored), or the group's: SUCCESS, FAILURE or PENDING. */
  readonly state: string;
  /** The column the page draws it in: steps from the root (a group one before its members). */
  readonly depth: number;
}

/** A workflow graph. */
export interface WorkflowGraph {
  readonly rootId: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  /** Whether the walk stopped at {@link MAX_NODES}. */
  readonly truncated: boolean;
}

/** What the graph reads: stored metas and saved group members. */
export interface GraphSource {
  get(taskId: string): Promise<ResultMeta | undefined>;
  getGroupMembers(groupId: string): Promise<string[] | undefined>;
}

/** The most nodes drawn. */
export const MAX_NODES = 200;
const MAX_PARENTS = 100;

type Child = { readonly id: string; readonly members?: readonly string[] };

/** `[[id, parent], null]` or `[[gid, parent], [members]]` → the child; anything else → undefined. */
function parseChild(tuple: unknown): Child | undefined {
  if (!Array.isArray(tuple) || !Array.isArray(tuple[0]) || typeof tuple[0][0] !== 'string') return undefined;
  const id: string = tuple[0][0];
  if (!Array.isArray(tuple[1])) return { id };
  const members = tuple[1]
    .map((member) => parseChild(member)?.id)
    .filter((m): m is string => m !== undefined);
  return { id, members };
}

function groupState(states: readonly string[]): string {
  if (states.length > 0 && states.every((state) => state === 'SUCCESS')) return 'SUCCESS';
  if (states.some((state) => state === 'FAILURE')) return 'FAILURE';
  return 'PENDING';
}

/** Builds the graph around `taskId`. Returns `undefined` when nothing is stored for it. */
export async function workflowGraph(source: GraphSource, taskId: string): Promise<WorkflowGraph | undefined> {
  const metas = new Map<string, ResultMeta | undefined>();
  const read = async (id: string) => {
    if (!metas.has(id)) metas.set(id, await source.get(id));
    return metas.get(id);
  };
  if ((await read(taskId)) === undefined) return undefined;
  let rootId = taskId;
  const ancestry = [taskId];
  for (let step = 0; step < MAX_PARENTS; step += 1) {
    const parent = (await read(rootId))?.parent_id;
    if (!parent || metas.has(parent) || (await read(parent)) === undefined) break;
    rootId = parent;
    ancestry.unshift(parent);
  }
  const nodes = new Map<string, GraphNode>();
  const edges: { from: string; to: string }[] = [];
  const queue: { id: string; depth: number; members?: readonly string[] }[] = [{ id: rootId, depth: 0 }];
  let truncated = false;
  const seenGroups = new Set<string>();
  while (queue.length > 0) {
    const item = queue.shift();
    if (item === undefined || nodes.has(item.id)) continue;
    if (nodes.size >= MAX_NODES) {
      truncated = true;
      break;
    }
    if (item.members) {
      const states = await Promise.all(item.members.map(async (id) => (await read(id))?.status ?? 'PENDING'));
      nodes.set(item.id, {
        id: item.id,
        kind: 'group',
        name: null,
        state: groupState(states),
        depth: item.depth,
      });
      for (const member of item.members) {
        edges.push({ from: item.id, to: member });
        queue.push({ id: member, depth: item.depth + 1 });
      }
      continue;
    }
    const meta = await read(item.id);
    nodes.set(item.id, {
      id: item.id,
      kind: 'task',
      name: meta?.name ?? null,
      state: meta?.status ?? 'PENDING',
      depth: item.depth,
    });
    if (meta?.group_id && !seenGroups.has(meta.group_id) && ancestry.includes(item.id)) {
      seenGroups.add(meta.group_id);
      const members = await source.getGroupMembers(meta.group_id);
      if (members) queue.push({ id: meta.group_id, depth: item.depth - 1, members });
    }
    for (const tuple of meta?.children ?? []) {
      const child = parseChild(tuple);
      if (child === undefined) continue;
      edges.push({ from: item.id, to: child.id });
      queue.push({
        id: child.id,
        depth: item.depth + 1,
        ...(child.members ? { members: child.members } : {}),
      });
    }
  }
  // A task its parent does not list among its children (a chord's body, sent by the header member that completed
  // the chord) still hangs off that parent.
  for (const [i, id] of ancestry.entries()) {
    const parent = ancestry[i - 1];
    if (nodes.has(id) || parent === undefined) continue;
    const meta = metas.get(id);
    const depth = (nodes.get(parent)?.depth ?? i - 1) + 1;
    nodes.set(id, { id, kind: 'task', name: meta?.name ?? null, state: meta?.status ?? 'PENDING', depth });
    edges.push({ from: parent, to: id });
  }
  const known = new Set(nodes.keys());
  const shallowest = Math.min(0, ...[...nodes.values()].map((node) => node.depth));
  return {
    rootId,
    nodes: [...nodes.values()].map((node) => ({ ...node, depth: node.depth - shallowest })),
    edges: edges.filter((edge) => known.has(edge.from) && known.has(edge.to)),
    truncated,
  };
}
