"""Every new workspace gets the default sequences (connected in FollowupsConfig.ready)."""

from followups.defaults import install_defaults


def workspace_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:  # raw: loaddata, which brings its own rows
        install_defaults(instance)
