// The shapes of proto/openapi.yaml and the chat contract the app uses.
export type Priority = 'high' | 'medium' | 'low';
export type Status = 'pending' | 'completed';

export interface User {
  id: string;
  email: string;
  created_at: string;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  tags: string[];
  due_at: string | null;
  remind_at: string | null;
  remind_before_minutes: number | null;
  rrule: string | null;
  series_id: string | null;
  occurrence_at: string | null;
  recur_from: 'due' | 'completion';
  time_zone: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  version: number;
}

/** The fields a client sets (TaskChanges); null clears one on PATCH. */
export interface TaskFields {
  title?: string;
  description?: string | null;
  priority?: Priority;
  tags?: string[];
  due_at?: string | null;
  remind_at?: string | null;
  remind_before_minutes?: number | null;
  rrule?: string | null;
  time_zone?: string | null;
  recur_from?: 'due' | 'completion' | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Notification {
  id: number;
  kind: 'reminder' | 'recurrence';
  title: string;
  body: string;
  task_id: string | null;
  event_id: string;
  created_at: string;
  read_at: string | null;
}

export interface NotificationSettings {
  webhook_url: string | null;
  webhook_secret: string | null;
  email: string | null;
  email_enabled: boolean;
  updated_at: string | null;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  result?: unknown;
  error?: { code: string; message: string } | null;
}

export interface ChatAnswer {
  conversation_id: string;
  message_id: string;
  reply: string;
  tool_calls: ToolCall[];
  tasks_changed: boolean;
}

export interface ParseAnswer {
  understood: boolean;
  tool: string;
  arguments: TaskFields & Record<string, unknown>;
  reply: string;
}

export interface Conversation {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  tool_calls: ToolCall[];
  created_at: string;
}
