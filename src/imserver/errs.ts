// OpenIM error codes as the server answers them (openimsdk/tools errs/predefine.go,
// open-im-server pkg/common/servererrs/code.go). On the wire: errCode = code, errMsg = name,
// errDlt = detail. These are OpenIM's numbers, not sdkgate's catalog (src/errors.ts).

export const ImCode = {
  ServerInternal: 500,
  Args: 1001,
  NoPermission: 1002,
  DuplicateKey: 1003,
  RecordNotFound: 1004,
  UserIDNotFound: 1101,
  RegisteredAlready: 1102,
  GroupIDNotFound: 1201,
  GroupIDExisted: 1202,
  NotInGroupYet: 1203,
  DismissedAlready: 1204,
  GroupTypeNotSupport: 1205,
  GroupRequestHandled: 1206,
  CanNotAddYourself: 1301,
  BlockedByPeer: 1302,
  NotPeersFriend: 1303,
  RelationshipAlready: 1304,
  FriendRequestHandled: 1305,
  MutedInGroup: 1402,
  MutedGroup: 1403,
  MsgAlreadyRevoke: 1404,
  TokenExpired: 1501,
  TokenInvalid: 1502,
  TokenMalformed: 1503,
  TokenNotValidYet: 1504,
  TokenUnknown: 1505,
  TokenKicked: 1506,
  TokenNotExist: 1507,
  ConnOverMaxNumLimit: 1601,
  ConnArgsErr: 1602,
} as const;

export type ImCodeValue = (typeof ImCode)[keyof typeof ImCode];

const NAMES: Record<number, string> = {
  500: 'ServerInternalError',
  1001: 'ArgsError',
  1002: 'NoPermissionError',
  1003: 'DuplicateKeyError',
  1004: 'RecordNotFoundError',
  1101: 'UserIDNotFoundError',
  1102: 'RegisteredAlreadyError',
  1201: 'GroupIDNotFound',
  1202: 'GroupIDExisted',
  1203: 'NotInGroupYet',
  1204: 'DismissedAlready',
  1205: 'GroupTypeNotSupport',
  1206: 'GroupRequestHandled',
  1301: 'CanNotAddYourself',
  1302: 'BlockedByPeer',
  1303: 'NotPeersFriend',
  1304: 'RelationshipAlready',
  1305: 'FriendRequestHandled',
  1402: 'MutedInGroup',
  1403: 'MutedGroup',
  1404: 'MsgAlreadyRevoke',
  1501: 'TokenExpiredError',
  1502: 'TokenInvalidError',
  1503: 'TokenMalformedError',
  1504: 'TokenNotValidYetError',
  1505: 'TokenUnknownError',
  1506: 'TokenKickedError',
  1507: 'TokenNotExistError',
  1601: 'ConnOverMaxNumLimit',
  1602: 'ConnArgsErr',
};

export class ImError extends Error {
  readonly code: number;
  readonly errMsg: string;
  readonly errDlt: string;

  constructor(code: ImCodeValue, detail = '') {
    const name = NAMES[code] ?? 'ServerInternalError';
    super(detail ? `${name}: ${detail}` : name);
    this.name = 'ImError';
    this.code = code;
    this.errMsg = name;
    this.errDlt = detail;
  }
}

export function imError(code: ImCodeValue, detail = ''): ImError {
  return new ImError(code, detail);
}

export function imArgsError(detail: string): ImError {
  return new ImError(ImCode.Args, detail);
}

/** Anything thrown by a handler becomes an ImError; unknown failures are 500 without internals. */
export function toImError(e: unknown): ImError {
  if (e instanceof ImError) return e;
  return new ImError(ImCode.ServerInternal, 'internal error');
}
