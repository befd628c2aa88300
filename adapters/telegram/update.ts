// The part of the Bot API's Update (core.telegram.org/bots/api#update) we read, checked at runtime: Telegram is
// trusted only as far as the secret token goes, and a shape we don't expect must be a 400 naming the field, not a
// crash. Unknown fields pass through untouched (the API grows).
import { z } from 'zod';

const int = z.number().int();

export const user = z.object({
  id: int,
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

export const chat = z.object({
  id: int,
  // A chat type added to the API later is ignored by normalize(), not refused here.
  type: z.string(),
  title: z.string().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  is_forum: z.boolean().optional(),
});

export const entity = z.object({ type: z.string(), offset: int.nonnegative(), length: int.nonnegative() });

const fileFields = { file_id: z.string().min(1), file_unique_id: z.string(), file_size: int.nonnegative().optional() };
const named = { ...fileFields, file_name: z.string().optional(), mime_type: z.string().optional() };

export const message = z.object({
  message_id: int,
  message_thread_id: int.optional(),
  is_topic_message: z.boolean().optional(),
  from: user.optional(),
  sender_chat: chat.optional(),
  author_signature: z.string().optional(),
  is_automatic_forward: z.boolean().optional(),
  date: int,
  edit_date: int.optional(),
  chat,
  text: z.string().optional(),
  entities: z.array(entity).optional(),
  caption: z.string().optional(),
  caption_entities: z.array(entity).optional(),
  photo: z.array(z.object({ ...fileFields, width: int, height: int })).optional(),
  document: z.object(named).optional(),
  audio: z.object(named).optional(),
  video: z.object(named).optional(),
  voice: z.object({ ...fileFields, mime_type: z.string().optional() }).optional(),
  video_note: z.object(fileFields).optional(),
  sticker: z.object({ ...fileFields, emoji: z.string().optional() }).optional(),
  location: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z.object({ phone_number: z.string(), first_name: z.string(), last_name: z.string().optional() }).optional(),
  migrate_to_chat_id: int.optional(),
  migrate_from_chat_id: int.optional(),
});

export const callbackQuery = z.object({
  id: z.string().min(1),
  from: user,
  // An InaccessibleMessage (date 0) still names its chat and message id, which is all we use.
  message: z.object({ message_id: int, chat, date: int, message_thread_id: int.optional(), is_topic_message: z.boolean().optional() }).optional(),
  inline_message_id: z.string().optional(),
  chat_instance: z.string(),
  data: z.string().optional(),
});

export const update = z.object({
  update_id: int.nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: callbackQuery.optional(),
});

export type TgUser = z.infer<typeof user>;
export type TgChat = z.infer<typeof chat>;
export type TgEntity = z.infer<typeof entity>;
export type TgMessage = z.infer<typeof message>;
export type TgCallbackQuery = z.infer<typeof callbackQuery>;
export type TgUpdate = z.infer<typeof update>;

/** The update kinds we ask Telegram for (setWebhook / getUpdates `allowed_updates`). */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'] as const;

export class InvalidUpdate extends Error {
  constructor(
    message: string,
    /** The update id, when the body has one: Telegram sent an update we can't read (rather than no update at all). */
    readonly updateId: number | null,
  ) {
    super(message);
    this.name = 'InvalidUpdate';
  }
}

export function parseUpdate(body: unknown): TgUpdate {
  const r = update.safeParse(body);
  if (r.success) return r.data;
  const id = (body as { update_id?: unknown } | null)?.update_id;
  throw new InvalidUpdate(
    r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; '),
    typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null,
  );
}
