// Small pieces every view uses: toasts, a modal dialog, field errors.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { ApiError, describeError } from '../lib/api';

export interface Toast {
  id: number;
  text: string;
  kind?: 'info' | 'error';
  action?: { label: string; run: () => void };
  /** ms; 0 keeps it until closed */
  timeout?: number;
}
export type ToastFn = (t: Omit<Toast, 'id'>) => () => void;
export const ToastContext = createContext<ToastFn>(() => () => {});
export const useToast = () => useContext(ToastContext);

export function Toasts({ items, close }: { items: Toast[]; close: (id: number) => void }) {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div class={'toast ' + (t.kind ?? 'info')} key={t.id}>
          <span class="spacer">{t.text}</span>
          {t.action && (
            <button
              onClick={() => {
                t.action!.run();
                close(t.id);
              }}
            >
              {t.action.label}
            </button>
          )}
          <button aria-label="Dismiss" onClick={() => close(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** A modal <dialog>: focus stays inside, Escape closes it. */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; id?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    return () => d.open && d.close();
  }, []);
  return (
    <dialog
      ref={ref}
      id={props.id}
      aria-labelledby={(props.id ?? 'dlg') + '-title'}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <div class="row">
        <h2 id={(props.id ?? 'dlg') + '-title'} class="spacer">
          {props.title}
        </h2>
        <button aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

/** Words for the API's field names, where its messages start with one. */
const FIELD_WORDS: Record<string, string> = {
  title: 'The title',
  description: 'The notes',
  tags: 'Tags',
  due_at: 'The due date',
  remind_at: 'The reminder time',
  remind_before_minutes: 'The reminder',
  rrule: 'The rule',
  time_zone: 'The time zone',
  webhook_url: 'The webhook URL',
  email: 'The e-mail address',
  email_enabled: 'E-mail',
  expires_in_days: 'The expiry',
};

/** Splits an API error between the fields it names and the rest. */
export function fieldErrors(e: unknown, fields: string[]): { byField: Record<string, string>; general: string } {
  const byField: Record<string, string> = {};
  const msg = describeError(e);
  if (e instanceof ApiError && e.field) {
    const f = e.field.replace(/[[.].*$/, '');
    if (fields.includes(f)) {
      const words = FIELD_WORDS[f];
      byField[f] = words && msg.toLowerCase().startsWith(f) ? words + msg.slice(f.length) : msg;
      return { byField, general: '' };
    }
  }
  return { byField, general: msg };
}

export function FieldError({ id, text }: { id: string; text?: string }) {
  return text ? (
    <p class="field-error" id={id} role="alert">
      {text}
    </p>
  ) : null;
}

/** True when a key press happens while typing in a field. */
export function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}
