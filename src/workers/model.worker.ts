// The model worker: lab/ModelLoader, exposed (endpoint.ts). A loaded model's weights and file
// bytes, and downloaded bytes, are made for the caller: transferred, not copied.
import { loadedBuffers, ModelLoader } from '../lab/model-loader';
import { exposeService, type ServiceApi } from './endpoint';

export type { LoadedModel, Progress } from '../lab/model-loader';
export type ModelWorkerApi = ServiceApi<ModelLoader>;

exposeService(new ModelLoader(), {
  transfer: {
    loadUrl: loadedBuffers,
    loadBytes: loadedBuffers,
    loadWithHPW: loadedBuffers,
    download: (bytes) => [bytes.buffer as ArrayBuffer],
  },
});
