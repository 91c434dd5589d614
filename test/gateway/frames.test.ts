import { describe, expect, it } from 'vitest';
import { catalog, CoreError, gatewayError } from '../../src/errors.ts';
import { FrameError, formatError, formatEvent, formatResult, frameText, parseRequest, resultData } from '../../src/gateway/frames.ts';

const frame = (o: Record<string, unknown>): string => JSON.stringify(o);

function refused(text: string, sendID = 'u1'): FrameError {
  try {
    parseRequest(text, sendID);
  } catch (e) {
    expect(e).toBeInstanceOf(FrameError);
    return e as FrameError;
  }
  throw new Error('expected a FrameError');
}

describe('parseRequest', () => {
  it('parses the client frame and decodes the arguments', () => {
    const r = parseRequest(frame({ data: '["{\\"toUserID\\":\\"u2\\",\\"remark\\":\\"r\\"}"]', operationID: 'o1', userID: 'u1', reqFuncName: 'SetFriendRemark' }), 'u1');
    expect(r.reqFuncName).toBe('SetFriendRemark');
    expect(r.operationID).toBe('o1');
    expect(r.args).toEqual([{ toUserID: 'u2', remark: 'r' }]);
  });

  it('answers garbage as a Protocol Error without an operationID', () => {
    for (const t of ['nope', '[]', 'null', '"s"', '42']) {
      const e = refused(t);
      expect(e.event).toBe('Protocol Error');
      expect(e.operationID).toBe('');
      expect(e.cause.code).toBe(catalog.GW_PROTOCOL_ERROR.code);
    }
  });

  it('echoes the reqFuncName and operationID when they are usable', () => {
    const e = refused(frame({ reqFuncName: 'GetFriendList', operationID: 'o9', userID: 'u1', data: 5 }));
    expect(e.event).toBe('GetFriendList');
    expect(e.operationID).toBe('o9');
    expect(e.cause.errorName).toBe('GW_PROTOCOL_ERROR');
  });

  it('never echoes an unknown or callback name as the event', () => {
    expect(refused(frame({ reqFuncName: 'OnKickedOffline', operationID: 'o', userID: 'u1', data: '[]' })).event).toBe('Protocol Error');
    expect(refused(frame({ reqFuncName: 'InitSDK', operationID: 'o', userID: 'u1', data: '[]' })).event).toBe('Protocol Error');
  });

  it('does not echo an absurd operationID', () => {
    const e = refused(frame({ reqFuncName: 'GetFriendList', operationID: 'x'.repeat(500), userID: 'u1', data: '[]' }));
    expect(e.operationID).toBe('');
  });

  it('requires data to be a string holding a JSON array', () => {
    for (const data of [undefined, ['a'], '{"a":1}', 'not json', '"[]"']) {
      expect(refused(frame({ reqFuncName: 'GetFriendList', operationID: 'o', userID: 'u1', data })).cause.errorName).toBe('GW_PROTOCOL_ERROR');
    }
  });

  it('refuses a body userID of someone else, and Login for someone else', () => {
    expect(refused(frame({ reqFuncName: 'GetFriendList', operationID: 'o', userID: 'u2', data: '[]' })).cause.errorName).toBe('GW_USER_MISMATCH');
    expect(refused(frame({ reqFuncName: 'Login', operationID: 'o', userID: 'u1', data: '["u2","t"]' })).cause.errorName).toBe('GW_USER_MISMATCH');
    expect(parseRequest(frame({ reqFuncName: 'Login', operationID: 'o', userID: 'u1', data: '["u1","t"]' }), 'u1').args).toEqual(['u1', 't']);
  });

  it('maps unknown, forbidden and badly typed calls to their codes', () => {
    expect(refused(frame({ reqFuncName: 'Nope', operationID: 'o', data: '[]' })).cause.errorName).toBe('GW_UNKNOWN_FUNCTION');
    expect(refused(frame({ reqFuncName: 'UnInitSDK', operationID: 'o', data: '[]' })).cause.errorName).toBe('GW_FUNCTION_FORBIDDEN');
    expect(refused(frame({ reqFuncName: 'QuitGroup', operationID: 'o', data: '[1]' })).cause.errorName).toBe('GW_BAD_ARGUMENTS');
  });
});

describe('frameText', () => {
  it('decodes UTF-8 binary frames and refuses invalid UTF-8', () => {
    expect(frameText(Buffer.from('{"a":"é"}'), true)).toBe('{"a":"é"}');
    expect(() => frameText(Buffer.from([0xc3, 0x28]), true)).toThrow(FrameError);
  });
});

describe('formatting', () => {
  it('keeps the key order event, errCode, errMsg, data, operationID', () => {
    expect(formatResult('GetTotalUnreadMsgCount', 'o', 5)).toBe('{"event":"GetTotalUnreadMsgCount","errCode":0,"errMsg":"","data":"5","operationID":"o"}');
  });

  it('encodes results as JSON text', () => {
    expect(resultData('')).toBe('""');
    expect(resultData(undefined)).toBe('');
    expect(resultData(null)).toBe('null');
    expect(resultData([])).toBe('[]');
    expect(resultData({ a: 1 })).toBe('{"a":1}');
    expect(resultData('si_u1_u2')).toBe('"si_u1_u2"');
  });

  it('passes coded errors through and hides unexpected ones', () => {
    expect(JSON.parse(formatError('Login', 'o', new CoreError(1501, 'TokenExpiredError')))).toEqual({ event: 'Login', errCode: 1501, errMsg: 'TokenExpiredError', data: '', operationID: 'o' });
    expect(JSON.parse(formatError('X', 'o', gatewayError('GW_BUSY'))).errCode).toBe(catalog.GW_BUSY.code);
    const hidden = JSON.parse(formatError('X', 'o', new Error('/secret/path.ts:12 exploded')));
    expect(hidden.errCode).toBe(catalog.GW_INTERNAL.code);
    expect(hidden.errMsg).not.toContain('secret');
  });

  it('sends callbacks with operationID ""', () => {
    expect(formatEvent('OnConnectSuccess', '')).toBe('{"event":"OnConnectSuccess","errCode":0,"errMsg":"","data":"","operationID":""}');
  });
});
