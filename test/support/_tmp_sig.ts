import { verifySlackRequest } from '@slack/bolt';
import { slackHeaders, slashCommand, interactionBody } from './slack-signing';
const body = slashCommand({ command: '/eta', text: '2h #1042', user_id: 'U1', channel_id: 'C1', response_url: 'http://x/response/1' });
const now = new Date();
const h = slackHeaders('s3cret', body, now);
verifySlackRequest({ signingSecret: 's3cret', body, headers: { 'x-slack-signature': h['x-slack-signature'], 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } });
console.log('ok', h, body);
const ib = interactionBody({ type: 'block_actions', actions: [{ action_id: 'a' }] });
console.log(JSON.parse(new URLSearchParams(ib).get('payload')!));
try { verifySlackRequest({ signingSecret: 'other', body, headers: { 'x-slack-signature': h['x-slack-signature'], 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } }); } catch (e) { console.log('bad secret rejected:', (e as Error).message); }
