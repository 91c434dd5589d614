// open-im-sdk@3.5.2 hashes upload chunks with the browser's FileReader, which Node does not have
// (Node has File and Blob). This is the part of FileReader that client uses
// (readAsArrayBuffer, onload with e.target.result, onerror), over Blob.arrayBuffer(), so the
// real client's upload code runs unmodified in Node tests.

class NodeFileReader {
  result: ArrayBuffer | null = null;
  onload: ((e: { target: NodeFileReader }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  readAsArrayBuffer(blob: Blob): void {
    blob.arrayBuffer().then(
      (buf) => {
        this.result = buf;
        this.onload?.({ target: this });
      },
      (err: unknown) => this.onerror?.(err),
    );
  }
}

export function installFileReader(): void {
  const g = globalThis as { FileReader?: unknown };
  g.FileReader ??= NodeFileReader;
}
