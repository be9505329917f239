"""The local web page: generate, watch, review and browse runs.

``app.py`` is a Starlette app that langgraph.json mounts into the LangGraph Agent Server
(``http.app``), so one server answers the graph API and the page; ``library.py`` reads an
output directory's runs and batches for it. Runs are started and resumed only through the
server's own threads/runs API, from the page's script.
"""
