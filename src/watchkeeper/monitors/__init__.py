"""Window monitors: profiles + config + now -> metric samples."""
