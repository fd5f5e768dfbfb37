// The browser test's page (tests/browser/uppy.test.ts): Uppy with the glue docs/api.md documents, driven from the test
// through window.kite.

import { useKite } from 'kite:readme-glue';
import Uppy from '@uppy/core';

const params = new URLSearchParams(location.search);
const uppy = new Uppy({ autoProceed: false });
useKite(uppy, { api: params.get('api'), token: () => params.get('token'), partSize: 5 * 2 ** 20 });

const kite = {
  uploaded: [],
  parts: [],
  errors: [],
  infos: [],
  wentOffline: 0,
  pauseAfterPart: new Map(),
  removeAfterPart: new Map(),
  /** A file of `size` bytes (a repeating pattern), added to Uppy; returns its Uppy id. */
  add(name, size) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = i % 251;
    return uppy.addFile({ name, type: 'text/plain', data: new Blob([bytes], { type: 'text/plain' }) });
  },
  upload: () => {
    uppy.upload();
  },
  resume: (id) => uppy.pauseResume(id),
};
uppy.on('s3-multipart:part-uploaded', (file, part) => {
  kite.parts.push([file.id, part.PartNumber]);
  if (kite.pauseAfterPart.get(file.id) === part.PartNumber) uppy.pauseResume(file.id);
  if (kite.removeAfterPart.get(file.id) === part.PartNumber) uppy.removeFile(file.id);
});
uppy.on('upload-success', (file, response) => kite.uploaded.push([file.id, response.body.key]));
uppy.on('upload-error', (file, error) => kite.errors.push(`${file.name}: ${error.message}`));
// What Uppy shows its user: the glue reports a failed confirm there; Uppy says so when the network is gone.
uppy.on('info-visible', () => kite.infos.push(...uppy.getState().info.map((i) => i.message)));
uppy.on('is-offline', () => {
  kite.wentOffline++;
});
window.kite = kite;
