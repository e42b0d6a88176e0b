// bluezone-beacon/protocol: the Bluezone protocol (docs/api.md "protocol"): keys and IDs
// (bluezone-protocol.md 1-2), advertising frames (3-4), push-entry publication and matching (6).
export {
  SLOTS_PER_DAY, SLOT_MS, DAY_MS, KEY_BYTES, ID_BYTES,
  generateBaseKey, utcMidnight, dailyKey, dailyKeyAt, dayIndexAt, bluezoneIdForSlot, dailyIds, slotAt, bluezoneIdAt,
  type SlotInfo, type IdAt,
} from '../firmware/protocol/keys.ts';
export {
  BLUEZONE_UUID16, BLUEZONE_COMPANY_ID, BLUEZONE_IOS_UUID, BLUEZONE_IBEACON,
  buildAndroidFrame, buildIosFrame, buildIBeaconFrame, classifyAdvert,
  type AdvertKind, type AdvertClass, type IBeaconInfo,
} from '../firmware/protocol/frames.ts';
export {
  parsePublication, publication, matchPublication, ContactIndex,
  type PushEntry, type ParsedPushEntry, type PublicationParseResult, type SlotMatch, type MatchStats,
} from '../firmware/protocol/match.ts';
export { toHex, fromHex, HexError } from '../firmware/protocol/hex.ts';
