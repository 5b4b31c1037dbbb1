// Saves and restores the parts of a sandbox world the doctor's misconfiguration knobs
// change (network model, instances' SSM and IMDS state, endpoints, EICE blocks), so one
// sandbox serves many fault cases without leaking one into the next.
import type { World } from '../../src/sandbox/world.js';

export function snapshotWorld(world: World): () => void {
  const network = structuredClone(world.network);
  const instances = [...world.instances.values()].map((i) => ({ i, ssm: structuredClone(i.ssm), imds: i.metadataHttpEndpoint }));
  const endpoints = structuredClone([...world.endpoints.entries()]);
  const blocked = new Set(world.eiceKnobs.blockedInstances);
  return () => {
    Object.assign(world.network, structuredClone(network));
    for (const { i, ssm, imds } of instances) {
      i.ssm = structuredClone(ssm);
      i.metadataHttpEndpoint = imds;
    }
    world.endpoints.clear();
    for (const [id, e] of structuredClone(endpoints)) world.endpoints.set(id, e);
    world.eiceKnobs.blockedInstances.clear();
    for (const id of blocked) world.eiceKnobs.blockedInstances.add(id);
  };
}
