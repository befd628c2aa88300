/** Replies go to the account's conversation; the user who wrote is kept for the vendor's app to show. */
export interface InappAddress {
  accountId: string;
  userId?: string;
}

export const conversationKey = (accountId: string) => `inapp:${accountId}`;
