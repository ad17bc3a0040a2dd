import { mount } from 'svelte';
import App from './ui/App.svelte';
import { startFirstLoad } from './ui/stores/first-load';
import './ui/global.css';

// The model, tokenizer and dataset start loading before the page is drawn (first-load.ts).
startFirstLoad();
mount(App, { target: document.getElementById('app')! });
