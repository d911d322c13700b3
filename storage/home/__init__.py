"""The Home tab's storage: the daily trend image, uploaded once a day whatever the replicas."""
