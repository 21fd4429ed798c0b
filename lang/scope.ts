/**
 * Names visible at a point of a program: parameters, loop variables and `let`s (inlined as
 * their expression). Scopes nest; a lookup walks outwards.
 */
import type { Expr } from './ir.ts';

/** What a name stands for. */
export type Binding =
  | { readonly kind: 'int' }
  | { readonly kind: 'matrix'; readonly role: 'in' | 'out' | 'temp' }
  | { readonly kind: 'loop'; readonly id: number }
  | { readonly kind: 'let'; readonly expr: Expr; readonly type: 'int' | 'bool' };

/** One level of names, over its parent's. */
export class Scope {
  private readonly names = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}
  /** The binding of `name` here or in an enclosing scope. */
  lookup(name: string): Binding | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
  /** Binds `name` in this scope. */
  define(name: string, b: Binding): void {
    this.names.set(name, b);
  }
  /** Every visible name, innermost first (for "did you mean" hints). */
  visible(): string[] {
    return [...this.names.keys(), ...(this.parent?.visible() ?? [])];
  }
}
