# The compute workflow through openstacksdk (Debian's python3-openstacksdk), the way a Python
# user drives a DevStack cloud: clouds.yaml's cloud "cumulo", flavors, a key pair, the cirros
# image, a server with no networks (microversion 2.37), stop/start, delete, quotas, a server
# group, hypervisors and compute services. Prints one JSON document of what it saw.
import json
import sys

import openstack

conn = openstack.connect(cloud="cumulo")
seen = {}
seen["flavors"] = sorted(f.name for f in conn.compute.flavors())
flavor = conn.compute.create_flavor(name="sdk.flavor", ram=128, vcpus=1, disk=1)
seen["flavor_created"] = flavor.name
conn.compute.delete_flavor(flavor)
seen["flavors_after_delete"] = sorted(f.name for f in conn.compute.flavors())
key = conn.compute.create_keypair(name="sdk-key")
seen["keypair_private"] = "PRIVATE KEY" in (key.private_key or "")
seen["keypairs"] = [k.name for k in conn.compute.keypairs()]
image = conn.image.find_image("cirros")
seen["image"] = image.name if image else None
tiny = conn.compute.find_flavor("m1.tiny")
server = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=tiny.id, networks="none", key_name="sdk-key")
server = conn.compute.wait_for_server(server, status="ACTIVE", interval=1, wait=60)
seen["server_status"] = server.status
seen["server_key"] = server.key_name
conn.compute.stop_server(server)
seen["stopped"] = conn.compute.wait_for_server(server, status="SHUTOFF", interval=1, wait=60).status
conn.compute.start_server(server)
seen["started"] = conn.compute.wait_for_server(server, status="ACTIVE", interval=1, wait=60).status
seen["servers"] = [s.name for s in conn.compute.servers()]
conn.compute.delete_server(server)
conn.compute.wait_for_delete(server, interval=1, wait=60)
seen["servers_after_delete"] = [s.name for s in conn.compute.servers()]
group = conn.compute.create_server_group(name="sdk-group", policies=["anti-affinity"])
seen["group"] = group.name
quota = conn.compute.get_quota_set(conn.current_project_id)
seen["quota_instances"] = quota.instances
seen["hypervisors"] = sorted(h.name for h in conn.compute.hypervisors())
seen["services"] = sorted(s.host for s in conn.compute.services())
json.dump(seen, sys.stdout)
