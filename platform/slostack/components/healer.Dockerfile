# The healer image the Docker and Kubernetes stacks run (`python -m slostack.healer ...`, the command
# comes from components/healer.py). Built from a wheel, so the context is one small folder:
#   .venv/bin/python -m pip wheel --no-deps -w dist .
#   docker build -f platform/slostack/components/healer.Dockerfile -t slostack-healer:0.1.0 dist/
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

COPY slostack-*.whl /tmp/
# The docker and kubernetes clients are the actuators' (healer/serve.py imports them by actuator).
RUN pip install /tmp/slostack-*.whl docker kubernetes && rm /tmp/slostack-*.whl

# A fixed numeric uid (runAsNonRoot). With `docker_access="socket"` it also needs the socket's group.
RUN useradd --system --uid 10002 --no-create-home --shell /usr/sbin/nologin healer \
    && mkdir -p /var/lib/slostack-healer /etc/slostack && chown healer /var/lib/slostack-healer
USER 10002
WORKDIR /etc/slostack
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python", "-m", "slostack.healer", "--help"]
