# base-notebook's Jupyter Server settings (images/base-notebook @ edaf65ba4ecf; see CONTRACT.md),
# for this stand-in: listen on every interface, open no browser, delete files outright (no trash
# folder in a container), show plots in every format, and apply NB_UMASK to what the server starts.
# Upstream also makes a self-signed certificate when GEN_CERT is set; openssl is not here, so a
# GEN_CERT start fails instead of serving plain HTTP.
import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821
c.ServerApp.ip = ""
c.ServerApp.open_browser = False
c.FileContentsManager.delete_to_trash = False
c.InlineBackend.figure_formats = {"png", "jpeg", "svg", "pdf"}

if "GEN_CERT" in os.environ:
    raise SystemExit("GEN_CERT: this image cannot make a self-signed certificate (no openssl)")

if "NB_UMASK" in os.environ:
    os.umask(int(os.environ["NB_UMASK"], 8))
