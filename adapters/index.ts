// The channel registry: every client channel the service can run, one line each. Composition iterates it; adding
// a channel is its folder and one line here.
import type { ChannelModule } from '../src/channels/module';
import botframework from './botframework';
import email from './email';
import inapp from './inapp';
import slack from './slack';
import telegram from './telegram';

export const CHANNEL_MODULES: readonly ChannelModule<any>[] = [inapp, telegram, botframework, slack, email];
