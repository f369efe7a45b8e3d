// The image service's real actors on a test fabric, with the built-in cirros image, as `cumulo
// up` has them: the fabric's own when it composes the image service, else registered here.
import { ensureCirros, IMAGE_INDEX_ID, IMAGE_INDEX_KIND, registerImages, type ImagePage, type ImageView } from '../../actors/image/index.js';
import { IDENTITY_KIND, SYSTEM_CALLER, type IdentityMessage, type ProjectView } from '../../actors/identity/index.js';
import type { Fabric } from '../../sdk/fabric.js';
import { processPool } from '../../workers/index.js';

export async function realCirros(fabric: Fabric): Promise<ImageView> {
  const service = registerImages(fabric.system, { dataDir: fabric.dataDir, pool: processPool() });
  if (!service.ok && service.error.code === 'KIND_TAKEN') {
    const list = { type: 'list', caller: SYSTEM_CALLER, name: 'cirros' };
    const listed = await fabric.system.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask(list);
    const found = listed.ok ? (listed.value as ImagePage).images[0] : undefined;
    if (found === undefined) throw new Error('the fabric has an image service but no cirros');
    return found;
  }
  if (!service.ok) throw new Error(`image service: ${service.error.code} ${service.error.message}`);
  const list: IdentityMessage = { type: 'listProjects', caller: SYSTEM_CALLER, name: 'admin' };
  const projects = await fabric.system.ref(IDENTITY_KIND, 'default').ask(list);
  if (!projects.ok) throw new Error(projects.error.message);
  const admin = (projects.value as readonly ProjectView[])[0]!;
  const cirros = await ensureCirros(service.value, { ownerProjectId: admin.id });
  if (!cirros.ok) throw new Error(`cirros: ${cirros.error.code} ${cirros.error.message}`);
  return cirros.value;
}
