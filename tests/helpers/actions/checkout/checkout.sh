#!/usr/bin/env bash
# The stand-in checkout: the same refs, depth, tags and credentials as actions/checkout.
set -euo pipefail
dir="$GITHUB_WORKSPACE${INPUT_PATH:+/$INPUT_PATH}"
ref="$INPUT_REF" commit=""
if [ -z "$ref" ] && [ "$INPUT_REPOSITORY" = "$EVENT_REPOSITORY" ]; then
  ref="$GITHUB_REF" commit="$GITHUB_SHA" # the event's ref, pinned to the event's commit
fi
mkdir -p "$dir" && cd "$dir"
git init -q . && git config --local advice.detachedHead false
git remote remove origin 2> /dev/null || true
git remote add origin "$SERVER_URL/$INPUT_REPOSITORY"
[ -n "$ref" ] || ref="$(git ls-remote --symref origin HEAD | sed -n 's/^ref: \(.*\)\tHEAD$/\1/p')"

# Where the checked-out ref is stored locally, and what is checked out.
case "$ref" in
  refs/heads/*) local_ref="refs/remotes/origin/${ref#refs/heads/}" ;;
  refs/tags/*) local_ref="$ref" ;;
  refs/pull/*) local_ref="refs/remotes/pull/${ref#refs/pull/}" ;;
  *) if git ls-remote --exit-code origin "refs/heads/$ref" > /dev/null; then
       ref="refs/heads/$ref" local_ref="refs/remotes/origin/$ref"
     elif git ls-remote --exit-code origin "refs/tags/$ref" > /dev/null; then
       ref="refs/tags/$ref" local_ref="$ref"
     else
       commit="$ref" local_ref="" # a commit SHA
     fi ;;
esac
source_ref="${commit:-$ref}"
depth=() tags=(--no-tags)
if [ "$INPUT_FETCH_DEPTH" -gt 0 ]; then depth=(--depth="$INPUT_FETCH_DEPTH"); fi
if [ "$INPUT_FETCH_DEPTH" -le 0 ]; then
  git fetch -q --prune --no-recurse-submodules origin \
    '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
elif [ "$INPUT_FETCH_TAGS" = true ]; then
  tags=(--tags)
fi
git fetch -q "${tags[@]}" "${depth[@]}" --no-recurse-submodules origin \
  "+$source_ref${local_ref:+:$local_ref}"
target="${local_ref:-FETCH_HEAD}"
[ -z "$commit" ] && commit="$(git rev-parse "$target^{commit}")"
case "$ref" in
  refs/heads/*) git checkout -q --force -B "${ref#refs/heads/}" "$commit" ;;
  *) git checkout -q --force --detach "$commit" ;;
esac
if [ "$INPUT_PERSIST_CREDENTIALS" = true ]; then
  basic="$(printf 'x-access-token:%s' "$INPUT_TOKEN" | base64 -w0)"
  git config --local "http.$SERVER_URL/.extraheader" "AUTHORIZATION: basic $basic"
fi
echo "ref=$ref" >> "$GITHUB_OUTPUT"
echo "commit=$commit" >> "$GITHUB_OUTPUT"
echo "checked out $INPUT_REPOSITORY $ref at $commit into $dir"
