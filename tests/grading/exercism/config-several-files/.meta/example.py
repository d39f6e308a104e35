def per_replica(global_batch, replicas):
    return global_batch // replicas


def global_from(per_replica_batch, replicas):
    return per_replica_batch * replicas
