#!/bin/sh
# As the official nginx image's script: render the templates, replacing only defined variables.
set -e
defined="$(printf '${%s} ' $(env | cut -d= -f1))"
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  output="/etc/nginx/conf.d/$(basename "$template" .template)"
  envsubst "$defined" < "$template" > "$output"
done
